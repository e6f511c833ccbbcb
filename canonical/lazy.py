"""Records held as their field values, each model built only when something asks for it.

A plan reads all of INNERGY's library (50,000 records and more) but explains only the
few hundred or thousand that differ from the master: the diff reads every record's values,
the report and the push need models only for the records a change names. Building a model
costs about 9 us (``FrozenModel.from_valid``), 0.45 s at 50,000 records, for models that are
dropped unread. ``LazyModels`` holds the values and builds a record's model on first access,
once, so ``records[i] is records[i]`` (the diff tells records apart by identity).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

__all__ = ["LazyModels", "field_values"]

M = TypeVar("M", bound=BaseModel)

_values_of = vars(BaseModel)["__dict__"].__get__
"""A model's field values by name (its ``__dict__``), through the slot's descriptor: a
third cheaper than ``vars``, which looks the slot up past pydantic's ``__getattr__``."""


class LazyModels(Sequence[M], Generic[M]):
    """A read-only sequence of ``model`` records over ``values``, one mapping per record
    holding every field in the types the model declares, in the model's order (a model's
    ``__dict__``, which its JSON follows: ``canonical.serialize`` writes a file from them).

    ``build`` makes a record's model of its values (``model.from_valid`` for a record
    whose fields are all given); ``built`` holds the models made already, by position, whose
    values are their own."""

    __slots__ = ("_build", "_models", "model", "values")

    def __init__(
        self,
        model: type[M],
        values: Sequence[Mapping[str, Any]],
        build: Callable[[Any], M],
        *,
        built: Mapping[int, M] | None = None,
    ) -> None:
        self.model = model
        self.values = values
        self._build = build
        self._models: list[M | None] = [None] * len(values)
        for position, record in (built or {}).items():
            self._models[position] = record

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        built = self._models[index]
        if built is None:
            built = self._models[index] = self._build(self.values[index])
        return built

    def __iter__(self) -> Iterator[M]:
        return map(self.__getitem__, range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same records in the same order (a list included)."""
        if isinstance(other, LazyModels):
            return self.model is other.model and list(self.values) == list(other.values)
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable cache, compared by value

    def __repr__(self) -> str:
        return f"LazyModels({self.model.__name__}, {len(self)} records, {self.built} built)"

    @property
    def built(self) -> int:
        """How many models were asked for so far."""
        return len(self._models) - self._models.count(None)


def field_values(records: Sequence[BaseModel]) -> Sequence[Mapping[str, Any]]:
    """Each record's field values by name, without building a model ``LazyModels`` holds."""
    if isinstance(records, LazyModels):
        return records.values
    return list(map(_values_of, records))
