"""The Ray executor: each unit is one Ray task (1 CPU), at most `jobs` in flight.

Connects to `address` (a running cluster: "ray://host:10001" or "host:6379"; see the README) or, when
None and no cluster is initialised in this process, starts a local one and shuts it down afterwards.
Workers must import the same agentmt (installed on every node) and see the stage's output folder
(shared storage): each unit writes its files and its marker there itself.
Secrets in a unit's arguments (a rollout config's api_key, a URL's password) never travel in the pickled
task arguments: they are swapped for placeholders there and reach the worker as runtime_env env_vars.
A unit uses its own node's container runtime: the worker inherits DOCKER_HOST from the `ray start` of its
node, and the driver's (NODE_LOCAL_VARS) never reaches it through env_vars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from agentmt import secrets
from agentmt.errors import ConfigError

_SECRET_VAR = "AGENTMT_SECRET_{}"
# the container runtime a node's units talk to: each node's own, so a unit scheduled on node B starts
# its containers on B's daemon (pulling what B lacks), never on the driver's
NODE_LOCAL_VARS = frozenset({"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY",
                             "CONTAINER_HOST"})


def seal(args_list: Sequence[tuple]) -> tuple[list[tuple], dict[str, str]]:
    """`args_list` with every secret swapped for a placeholder, and the env vars that hold the secrets
    (placeholder AGENTMT_SECRET_i is env var AGENTMT_SECRET_i)."""
    found = sorted(secrets.find(list(args_list)), key=len, reverse=True)
    names = {value: _SECRET_VAR.format(i) for i, value in enumerate(found)}
    pairs = {value: f"<{name}>" for value, name in names.items()}
    return [secrets.swap(args, pairs) for args in args_list], {name: value for value, name in names.items()}


def call_unsealed(fn: Callable, names: list[str], *args: Any) -> Any:
    """Run on the worker: the placeholders in `args` get their secrets back from the environment."""
    import os

    pairs = {f"<{name}>": os.environ[name] for name in names}
    secrets.register(*pairs.values())  # the worker's records and messages are redacted as the driver's
    return fn(*secrets.swap(args, pairs))


class RayExecutor:
    def __init__(self, address: str | None = None, jobs: int = 1):
        self.address, self.jobs = address, jobs

    def _connect(self) -> bool:
        """Initialise Ray if needed; True when this call started it (and must shut it down)."""
        try:
            import ray
        except ImportError as e:
            raise ConfigError("--executor ray needs Ray: pip install 'agentmt[ray]'") from e
        if ray.is_initialized():
            return False
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(self.jobs, 1), include_dashboard=False, log_to_driver=False)
        return True

    def map(self, fn: Callable, args_list: Sequence[tuple], *,
            env: dict[str, str] | None = None) -> Iterator[tuple[int, Any]]:
        """(index, result) of `fn(*args)` per args, as they finish; `env` goes into the workers' environment
        (Ray runtime_env env_vars): the way to hand them secrets, which task arguments would expose; its
        NODE_LOCAL_VARS are left out (each worker keeps its own node's runtime)."""
        import ray

        if not args_list:
            return
        sealed, secret_env = seal(args_list)
        env = {**{k: v for k, v in (env or {}).items() if k not in NODE_LOCAL_VARS}, **secret_env}
        started = self._connect()
        running: dict[Any, int] = {}
        try:
            options = {"runtime_env": {"env_vars": env}} if env else {}
            remote = ray.remote(num_cpus=1, max_retries=0, **options)(call_unsealed)
            queue = list(enumerate(sealed))
            while queue or running:
                while queue and len(running) < self.jobs:  # bounded in flight, like -j N locally
                    i, args = queue.pop(0)
                    running[remote.remote(fn, list(secret_env), *args)] = i
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    i = running.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayTaskError as e:
                        # the unit's own exception (a one-line UserError...), not Ray's wrapper and traceback
                        raise (e.cause if isinstance(e.cause, BaseException) else e) from None
                    yield i, result
        finally:
            for ref in running:
                ray.cancel(ref)
            if started:
                ray.shutdown()
