"""Developer tooling (build, thumbnails, bench, emulator, generated test images). Never shipped to Lambda."""
