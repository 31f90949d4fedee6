"""The site's own front door: ``/`` leads to the admin (staff's home, the dashboard) and there is a favicon."""

from django.test import Client


def test_the_root_redirects_to_the_admin(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_favicon_is_served(db):
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content) if icon.streaming else b"<svg" in icon.content


def test_the_admin_pages_link_the_favicon(admin_client):
    assert b'href="/static/core/favicon.svg"' in admin_client.get("/admin/").content
