"""Developer tooling (build, thumbnails, bench, emulator). Never shipped to Lambda."""
