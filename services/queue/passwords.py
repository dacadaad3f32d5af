"""Officers' passwords: argon2 hashes (argon2-cffi)."""
from argon2 import PasswordHasher

password_hasher = PasswordHasher()
