"""EncodedAttribute: images packed into DevEncoded values as PyTango (cppTango) packs them.

The same device class is served by PyTango 10.3.1 and by tango_core; both values must be the
same octets, and tango_core's decoder must give the image back from either server.
"""

from __future__ import annotations

import numpy as np
import pytest

import tango_core

IMAGES = {
    "gray8": np.array([np.arange(7, dtype=np.uint8) * 30 for _ in range(3)]),
    "gray16": np.array([np.arange(7, dtype=np.uint16) * 9000 for _ in range(3)]),
    "rgb24": np.arange(3 * 7 * 3, dtype=np.uint8).reshape(3, 7, 3),
}


def _device_class(lib):
    """The same device class written against ``lib`` (tango or tango_core)."""
    class ImageDevice(lib.server.Device):
        def init_device(self):
            super().init_device()
            for name in IMAGES:
                self.add_attribute(lib.server.attribute(name=name, dtype=lib.DevEncoded, fget=self.read_image))

        def read_image(self, attr):
            encoded = lib.EncodedAttribute()
            getattr(encoded, f"encode_{attr.get_name()}")(IMAGES[attr.get_name()])
            return encoded
    return ImageDevice


@pytest.fixture(scope="module")
def servers():
    import tango  # test peer only: the reference server
    import tango.server  # noqa: F401 - the reference server API
    import tango.test_context
    import tango_core.server  # noqa: F401
    import tango_core.test_context
    with tango.test_context.DeviceTestContext(_device_class(tango), process=True) as theirs, \
            tango_core.test_context.DeviceTestContext(_device_class(tango_core)) as ours:
        yield {"PyTango": tango_core.DeviceProxy(theirs.name()), "tango_core": ours}


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_encoded_images_are_pytangos_octets(servers, name):
    values = {server: proxy.read_attribute(name, extract_as=tango_core.ExtractAs.Bytes).value
              for server, proxy in servers.items()}
    assert values["tango_core"] == values["PyTango"]
    assert values["tango_core"][0] == name.upper()


@pytest.mark.parametrize("server", ["PyTango", "tango_core"])
@pytest.mark.parametrize("name", ["gray8", "gray16"])
def test_encoded_images_decode_to_the_image(servers, server, name):
    raw = servers[server].read_attribute(name, extract_as=tango_core.ExtractAs.Nothing)
    image = getattr(tango_core.EncodedAttribute(), f"decode_{name}")(raw)
    np.testing.assert_array_equal(image, IMAGES[name])
    assert image.dtype == IMAGES[name].dtype
    with pytest.raises(TypeError):  # a value already extracted cannot be decoded (PyTango's rule)
        tango_core.EncodedAttribute().decode_gray8(servers[server].read_attribute(name))


def test_jpeg_is_refused_clearly():
    with pytest.raises(tango_core.DevFailed) as info:
        tango_core.EncodedAttribute().encode_jpeg_gray8(IMAGES["gray8"])
    assert info.value.args[0].reason == "API_NotSupportedFeature"
