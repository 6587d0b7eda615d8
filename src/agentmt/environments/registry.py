"""Task images through a registry: `env build` pushes each task image and records its digest reference;
every stage that needs the image gets it from `ensure_image(task)`, which pulls that digest on the
daemon it runs against when the image is missing there.

Guarantees: the reference recorded is `REGISTRY/agentmt-task@sha256:...` (content-addressed: what is
pulled is what was built); a local image whose id differs from the built one, a digest the registry no
longer serves, or a pulled image with another id raises `ImageUnavailable`, never a silent rebuild; a
registry that does not answer is a plain InfrastructureError (the unit is retried).
"""

from __future__ import annotations

from agentmt.environments import dockerapi
from agentmt.errors import InfrastructureError
from agentmt.types import TaskInstance

IMAGE_UNAVAILABLE = "image_unavailable"  # validate's drop reason for an ImageUnavailable


class ImageUnavailable(InfrastructureError):
    """The task's recorded image cannot be had as it was built (the message says why and what to do)."""


def push_name(tag: str) -> str:
    """`repo:tag` under which local image `tag` is pushed: a registry host it was pulled from (a row's
    prebuilt image) is dropped, a digest becomes a tag, a missing tag is `latest` (pure)."""
    first, _, rest = tag.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        tag = rest
    if "@" in tag:
        name, digest = tag.split("@", 1)
        return f"{name}:{digest.split(':')[-1][:32]}"
    return tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest"


def push_image(tag: str, registry: str) -> str:
    """Push local image `tag` to `registry` (`host:port/prefix`); returns `REGISTRY/REPO@sha256:...`.
    The registry-named tag is removed again: the local tag stays the one name of the image here."""
    from agentmt.environments.base import image_lock

    target = f"{registry.rstrip('/')}/{push_name(tag)}"
    with image_lock(target):  # two runs pushing one image: neither untags it under the other's push
        dockerapi.tag(tag, target)
        try:
            digest = dockerapi.push(target)
        finally:
            dockerapi.remove(target)  # an untag only: the image keeps its local tag
    return f"{target.rsplit(':', 1)[0]}@{digest}"


def record_push(task: TaskInstance, registry: str) -> None:
    """Push the task image and record its reference on `task.validation["image"]` (`ref`, `pushed`).
    The task image alone is enough: it holds the env layers, and setup-agent replays build FROM it."""
    image = task.validation["image"]
    image["ref"] = push_image(image["tag"], registry)
    image["pushed"] = {"registry": registry, "by": "env build", "ref_is": "the pushed manifest's digest"}


def ensure_image(task: TaskInstance) -> str:
    """The local tag of `task`'s image on this process's daemon, pulled by its recorded digest when
    missing; ImageUnavailable when it cannot be had as built."""
    image = task.validation.get("image") or {}
    tag, built_id, ref, instance_id = image.get("tag", ""), image.get("id", ""), image.get("ref", ""), task.instance_id
    if not tag:
        raise ImageUnavailable(f"{instance_id} records no image: run `agentmt env build` on it first")
    if dockerapi.image_exists(tag):
        local = dockerapi.image_id(tag)
        if not ref or not built_id or local == built_id:
            return tag  # no registry: the tag is all there is to go by, as before
        raise ImageUnavailable(f"{tag} on this daemon is {local[:19]}, not the image {built_id[:19]} that was "
                               f"built and pushed as {ref}: remove the local image to pull it, or rebuild")
    if not ref:
        raise ImageUnavailable(f"{tag} is not on this daemon and {instance_id} records no registry reference: "
                               "build with -c registry=HOST:PORT/PREFIX, or on this daemon")
    try:
        pulled = dockerapi.pull(ref)
    except dockerapi.ImageNotFound as e:
        raise ImageUnavailable(f"{instance_id}: {e} (the registry no longer serves it: rebuild and push)") from e
    except dockerapi.DockerCallError as e:  # the registry may be back on the next run
        raise InfrastructureError(f"{instance_id}: {e}") from e
    if built_id and pulled != built_id:
        raise ImageUnavailable(f"{ref} pulled as {pulled[:19]}, not the image {built_id[:19]} that was built")
    dockerapi.tag(ref, tag)
    return tag
