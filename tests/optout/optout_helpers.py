"""What the opt-out tests share: the sandbox's default account and the customer's phone."""

SANDBOX_ACCOUNT = {
    "access_token": "sandbox-token",
    "waba_id": "100000000000001",
    "phone_number_id": "100000000000011",
    "app_id": "100000000000021",
    "app_secret": "sandbox-app-secret",
}
PHONE = "+5511987654321"
