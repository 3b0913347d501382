"""Typed factories for the records tests need beyond the published data."""

from __future__ import annotations

import factory

from processes.models import Role, Unit, UnitLevel, User

PASSWORD = "test-password-123"


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"测试市{n}生态环境局")
    short_name = factory.Sequence(lambda n: f"测试市{n}")
    level = UnitLevel.CITY


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = Role.REPORTER
    unit = factory.SubFactory(UnitFactory)

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
