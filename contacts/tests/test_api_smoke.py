def test_contact_create_and_list(api):
    response = api.post("/api/v1/contacts/", {"email": "Jane@Example.com", "country": "cz"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["email"] == "jane@example.com"
    listing = api.get("/api/v1/contacts/")
    assert listing.json()["pagination"]["total"] == 1
