"""A small process-wide memo for pure results whose computation shows progress.

``st.cache_data`` replays the elements a cached function drew, and fails when that
function updates a progress bar created outside it. :func:`memo` caches the return value
only, keyed by content (NumPy arrays by their bytes; ``_``-prefixed keyword arguments
such as ``_progress`` are left out of the key), so a miss can report progress and a hit
costs a hash. Results must be treated as read-only.
"""
from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np


def _key_part(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ("ndarray", v.shape, str(v.dtype), hashlib.sha1(np.ascontiguousarray(v).view(np.uint8)).hexdigest())
    if isinstance(v, (list, tuple)):
        return tuple(_key_part(x) for x in v)
    return v


def memo(max_entries: int = 32) -> Callable:
    def wrap(fn: Callable) -> Callable:
        store: OrderedDict = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            key = (_key_part(args), tuple(sorted((k, _key_part(v)) for k, v in kwargs.items()
                                                 if not k.startswith("_"))))
            with lock:
                if key in store:
                    store.move_to_end(key)
                    return store[key]
            value = fn(*args, **kwargs)
            with lock:
                store[key] = value
                while len(store) > max_entries:
                    store.popitem(last=False)
            return value

        inner.cache_clear = store.clear
        return inner

    return wrap
