"""A safetensors file read byte for byte, without a safetensors library:
the tests that compare a file's raw tensor bytes read it the same way."""
import json
from pathlib import Path


def tensors(path: Path) -> dict[str, tuple[dict, bytes]]:
    """Tensor name -> (its header entry, its bytes)."""
    data = Path(path).read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: (v, body[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}
