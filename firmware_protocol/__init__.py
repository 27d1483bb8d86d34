"""Device profiles (GATT UUIDs, start/stop commands) and pure packet codecs; no I/O."""
from .errors import ProtocolError
from .samples import ImuSamples

__all__ = ["ProtocolError", "DeviceProfile", "ImuSamples", "PROFILES", "profile_for_advertisement", "get_profile"]

# The profiles (and with them every device's codec) load on first use: the analysis needs
# only `samples` (the units and the standard gravity), and importing the codecs of every
# device cost a new `hinge analyse` process 15 ms.
_FROM_PROFILES = ("PROFILES", "DeviceProfile", "get_profile", "profile_for_advertisement")


def __getattr__(name: str):
    if name in _FROM_PROFILES:
        from . import profiles

        return getattr(profiles, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
