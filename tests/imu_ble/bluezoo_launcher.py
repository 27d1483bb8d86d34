"""Launch bluezoo 1.0.2 (GPL-2.0-only; a TEST-ONLY dependency, never imported by hinge) for the
imu tests, with three changes made from outside (no bluezoo file edited):
1. on disconnect, drop the GATT objects exported for that connection and StopNotify the
   GATT server app, as BlueZ does (unpatched, the next Connect() fails with EEXIST);
2. accept a fractional --scan-interval (bluezoo's own CLI takes whole seconds only);
3. only hci0 has the central role, so bleak never picks the fake peripheral's adapter.
usage: python bluezoo_launcher.py [--scan-interval 0.2] ADAPTER_ADDR [ADAPTER_ADDR ...]"""
import argparse
import asyncio
import logging

from bluezoo import adapter as _adapter
from bluezoo import device as _device
from bluezoo import events as _events
from bluezoo.bluezoo import startup

_orig_disconnect = _device.Device.disconnect


async def _disconnect(self, uuid=None):
    await _orig_disconnect(self, uuid)
    links, self.services = list(self.services.values()), {}
    for link in reversed(links):
        sub = getattr(link, "client_props_changed_subscription", None)
        if sub is not None and not isinstance(sub, _events.Subscription):  # StartNotify was called
            sub.unsubscribe()
            try:
                await link.client.StopNotify()
            except Exception:
                pass
        if link in self.peer_adapter.mock.manager_export_handles:
            self.peer_adapter.mock.remove_object(link)
    if self.services_resolved:
        await self.ServicesResolved.set_async(False)


_device.Device.disconnect = _disconnect

# 3. only hci0 advertises the "central" role, so bleak's default-adapter choice (the first
#    powered central adapter, in set order) can never land on the fake peripheral's hci1
_roles = _adapter.Adapter.Roles
_orig_roles = _roles.property_getter
_roles.property_getter = lambda self: _orig_roles(self) if self.id == 0 else ["peripheral"]

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--scan-interval", type=float, default=0.2)
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("adapters", nargs="+")
    a = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(startup(bus="system", adapters=a.adapters, auto_enable=True,
                                    scan_interval=a.scan_interval))
    loop.run_forever()
