"""mllint.record: the dataclass subset mllint's models are built with."""

import copy
import pickle

import pytest

from mllint.record import FrozenRecordError, field, record, replace


@record(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple = ()
    note: str = field(default="", compare=False, repr=False)


@record
class Bag:
    name: str
    items: list = field(default_factory=list)
    meta: dict = field(default_factory=dict, repr=False)


@record(slots=True)
class Counter:
    n: int = 0

    def bump(self) -> int:
        self.n += 1
        return self.n


def test_init_defaults_and_keywords():
    assert (Point(1).x, Point(1).y, Point(1).tags) == (1, 0, ())
    p = Point(y=2, x=1, note="n")
    assert (p.x, p.y, p.note) == (1, 2, "n")
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, (), "n", "extra")


def test_factories_give_each_instance_its_own_value():
    a, b = Bag("a"), Bag("b")
    a.items.append(1)
    assert b.items == [] and a.items == [1]
    assert Bag("c", items=[2]).items == [2]


def test_repr_shows_fields_except_repr_false():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    assert repr(Bag("a", [1], {"k": 1})) == "Bag(name='a', items=[1])"


def test_eq_and_hash_follow_compared_fields():
    assert Point(1, 2, note="a") == Point(1, 2, note="b")
    assert hash(Point(1, 2, note="a")) == hash(Point(1, 2, note="b"))
    assert Point(1, 2) != Point(2, 1)
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Point(1).__eq__((1, 0, ())) is NotImplemented


def test_mutable_records_compare_but_do_not_hash():
    assert Bag("a") == Bag("a") and Bag("a") != Bag("b")
    with pytest.raises(TypeError):
        hash(Bag("a"))


def test_frozen_refuses_assignment_and_deletion():
    p = Point(1)
    with pytest.raises(FrozenRecordError):
        p.x = 2
    with pytest.raises(AttributeError):
        del p.y
    assert p.x == 1


def test_slots_have_no_instance_dict():
    assert not hasattr(Point(1), "__dict__") and Point.__slots__ == ("x", "y", "tags", "note")
    c = Counter()
    assert c.bump() == 1 and c.n == 1
    with pytest.raises(AttributeError):
        c.other = 1


def test_pickle_and_copy_round_trip_frozen_slots():
    p = Point(1, 2, ("a",), note="n")
    for clone in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
        assert clone == p and clone.note == "n" and clone is not p
    assert pickle.loads(pickle.dumps(Bag("a", [1]))) == Bag("a", [1])


def test_replace_copies_with_changes():
    p = Point(1, 2, note="n")
    q = replace(p, y=5)
    assert (q.x, q.y, q.note) == (1, 5, "n") and p.y == 2
    with pytest.raises(TypeError):
        replace(p, z=1)


def test_init_is_compiled_once_on_first_use():
    @record
    class Lazy:
        a: int

    first = Lazy.__init__
    Lazy(1)
    assert Lazy.__init__ is not first  # replaced by the compiled one
    compiled = Lazy.__init__
    assert Lazy(2).a == 2 and Lazy.__init__ is compiled


def test_a_subclass_created_first_compiles_the_parents_init():
    @record
    class Base:
        a: int

    class Child(Base):
        pass

    assert Child(1).a == 1 and Base(2).a == 2
    assert "__init__" not in Child.__dict__


def test_bad_field_order_and_mutable_defaults_fail_at_definition():
    with pytest.raises(TypeError, match="without a default"):
        @record
        class Bad:
            a: int = 1
            b: int

    with pytest.raises(ValueError, match="default_factory"):
        @record
        class Shared:
            a: list = []  # noqa: RUF012


def test_methods_defined_in_the_body_are_kept():
    @record(frozen=True)
    class Custom:
        a: int

        def __repr__(self):
            return "custom"

    assert repr(Custom(1)) == "custom" and Custom(1) == Custom(1) and hash(Custom(1)) == hash(Custom(1))
