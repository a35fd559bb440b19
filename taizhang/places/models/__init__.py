"""The places app's models, one module per area."""

from taizhang.places.models.groups import *  # noqa: F401,F403
from taizhang.places.models.rooms import *  # noqa: F401,F403
from taizhang.places.models.talks import *  # noqa: F401,F403
