"""Examples for the OpenAPI document (docs only): Ada, user 42, referred by user 7 (`K7M2QX9D`),
signs up, in and out."""

ACCESS_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiNDIiLCJleHAiOjE3OTYzMDAyNjZ9"
    ".JDuYq7lb-avtVRMEx_py9-z9KiaPbtFYY3AOu6SLlwA"
)
REFRESH_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoicmVmcmVzaCIsInN1YiI6IjQyIiwiZXhwIjoxNzk3NTA4OTY2fQ"
    ".FuS0H9IelB-zRsiKdfsNAf_CZi6zxb-tm7bBTOcIcZA"
)
LINK_TOKEN = "eyJ1Ijo0MiwiYSI6ImFkYUBleGFtcGxlLmNvbSJ9.aTBq2w.Mm2XxzaclqWLHngJc5rZi3WQ3BY"
TOKENS = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer", "expires_in": 900}
USER = {
    "id": 42,
    "email": "ada@example.com",
    "email_confirmed": True,
    "show_on_leaderboard": True,
    "pending_email": None,
    "phone": None,
    "username": "ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": None,
    "location": None,
    "avatar_url": None,
    "invite_code": "H8FJXHKR",
    "referred_by_id": 7,
    "referral_count": 3,
    "waitlist_status": None,
    "balance": 2500,
    "is_admin": False,
    "is_active": True,
    "created_at": "2026-11-02T09:14:27+00:00",
}
REGISTER = {
    "email": "ada@example.com",
    "password": "correct-horse-42",
    "username": "ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "referral_code": "K7M2QX9D",
}
