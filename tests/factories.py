"""Test data builders. They build rows directly; behaviour under test goes through services."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from comms.models import Update
from portal.models import Membership, Organisation, User
from programs.models import Program, ProgramMember

PASSWORD = "correct-horse-battery"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Sponsor {n}")
    slug = factory.Sequence(lambda n: f"sponsor-{n}")
    kind = Organisation.Kind.SPONSOR


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(organisation: Organisation, role: str, **fields) -> User:
    user = UserFactory(**fields)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


class ProgramFactory(DjangoModelFactory):
    class Meta:
        model = Program

    sponsor = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"PRG-{n + 100}")
    name = factory.Sequence(lambda n: f"Program {n}")
    phase = Program.Phase.PHASE_2


class ProgramMemberFactory(DjangoModelFactory):
    class Meta:
        model = ProgramMember

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = ProgramMember.Role.WORKSTREAM_OWNER


class UpdateFactory(DjangoModelFactory):
    class Meta:
        model = Update

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Update {n}")
    body = "Something worth knowing."
    author = factory.SubFactory(UserFactory)
    audience = "sponsor"  # the model fails closed; a factory update is a published one
    published_at = factory.LazyFunction(timezone.now)
