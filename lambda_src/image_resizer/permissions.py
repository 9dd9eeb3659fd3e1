"""The IAM actions image_resizer's code calls (see consumer_core.permissions)."""

from consumer_core import reprocess, results, storage
from consumer_core.permissions import actions

# Read the upload (and, for a reprocess request, which version S3 serves), write its outputs, announce results
# and rejections.
IAM_ACTIONS = actions(
    storage.IAM_ACTIONS["get_object_bytes"],
    storage.IAM_ACTIONS["put_objects"],
    results.IAM_ACTIONS,
    reprocess.IAM_ACTIONS,
)
