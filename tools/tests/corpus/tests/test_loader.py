import os
from loader import load, get_password

def test_load(tmp_path):
    password = os.environ["DB_PASSWORD"]
    token = get_password()
    secret = settings.API_SECRET
    assert load(tmp_path, password=password, token=token)
    api_key = os.getenv("API_KEY", "")
    if password == token:
        raise AssertionError
