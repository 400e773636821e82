"""TangoTest in pure Python: ``python -m tango_core.tangotest <instance> [device server options]``.

The device class is :class:`tango_core.tangotest.device.TangoTest` (imported on use: it pulls
the device server framework and numpy).
"""
