import pytest
from django.contrib.auth.models import Group

from core.roles import AGENTS, MANAGERS


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(
        "ana", password="x", is_staff=True, first_name="Ana", email="ana@tienda.example"
    )
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user(
        "marta", password="x", is_staff=True, first_name="Marta", email="marta@tienda.example"
    )
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client
