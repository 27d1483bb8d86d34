"""Device profiles (GATT UUIDs, start/stop commands) and pure packet codecs; no I/O."""
from .errors import ProtocolError
from .profiles import PROFILES, DeviceProfile, get_profile, profile_for_advertisement
from .samples import ImuSamples

__all__ = ["ProtocolError", "DeviceProfile", "ImuSamples", "PROFILES", "profile_for_advertisement", "get_profile"]
