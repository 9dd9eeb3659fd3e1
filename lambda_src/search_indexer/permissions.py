"""The IAM actions search_indexer's code calls (see consumer_core.permissions)."""

from consumer_core import storage
from consumer_core.permissions import actions
from search_indexer import index

# The index table; the versions of an upload (the read-back); every version of dead outputs deleted.
IAM_ACTIONS = actions(
    index.IAM_ACTIONS, storage.IAM_ACTIONS["current_version"], storage.IAM_ACTIONS["delete_every_version"]
)
