"""The httpx client for INNERGY, its wire models, the import-file writer and the sandbox.

The wire format lives in ``innergy_client.wire``; conversion to and from the canonical
model in ``innergy_client.mapping``; ``innergy_client.spec`` checks the wire contract
against INNERGY's OpenAPI document. The sandbox is imported from
``innergy_client.sandbox`` (it is not loaded with the package).
"""

from innergy_client.client import InnergyClient, check_connection
from innergy_client.import_file import read_library_file, write_import_file
from innergy_client.mapping import edit_body, to_canonical, to_wire

__all__ = [
    "InnergyClient",
    "check_connection",
    "edit_body",
    "read_library_file",
    "to_canonical",
    "to_wire",
    "write_import_file",
]
