"""The files an email carries, from whoever knows them: ``notifications`` knows no document, so the apps that attach
files to messages (a signed notice, a bulletin) register a provider here, in their ``AppConfig.ready()``. Delivery
asks every provider for a message's files just before it sends it, outside any transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .models import Message


class Attachment(NamedTuple):
    filename: str
    content: bytes
    mimetype: str


Provider = Callable[["Message"], Iterable[Attachment]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add ``provider`` (once, however often ``ready()`` runs); usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def attachments_for(message: Message) -> list[Attachment]:
    """Every provider's files for ``message``, in the order the providers were registered."""
    return [Attachment(*attachment) for provider in _providers for attachment in provider(message)]
