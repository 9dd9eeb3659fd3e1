"""image_resizer: writes thumbnails of every uploaded image (Pillow), one consumer of the fan-out."""
