from clickpro.models import Role


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_dashboard(client, create_client):
    tenant = create_client("Padaria Pão Quente")
    response = client.post(
        "/login", data={"email": tenant.admin.email, "password": "senha-segura-123"}
    )
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Padaria Pão Quente" in page.get_data(as_text=True)


def test_agent_sees_dashboard(login_as, create_client, create_member):
    tenant = create_client()
    agent = create_member(tenant, Role.CLIENT_USER)
    client = login_as(agent, tenant)
    assert client.get("/").status_code == 200


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}
