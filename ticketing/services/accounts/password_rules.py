"""What a new password must be: long enough and not one that guessers try first (NIST SP
800-63B: a length floor and a blocklist, no composition rules). The blocklist is small and
local (no download, no network): the most common passwords that pass the length floor,
keyboard and alphabet runs, fewer than 5 distinct characters, and the account's own email or name."""

from __future__ import annotations

from ticketing.services.errors import invalid

MIN_PASSWORD = 10
MAX_PASSWORD = 1024

# Most common passwords of 10+ characters in public breach corpora (lower-cased).
COMMON = frozenset("""
1234567890 0123456789 0987654321 9876543210 123456789a 123456789q 12345678910 1234567891
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc 123qweasdzxc 1234qwerasdf qazwsxedcrfv zaq12wsxcde3
qwertyuiop qwerty1234 qwerty12345 qwerty123456 qwertyuiop1 qwertyuiop123 asdfghjkl1 asdfghjkl123
zxcvbnm123 zxcvbnm1234 password12 password123 password1234 password12345 passw0rd123 p@ssword123
password1! password01 mypassword mypassword1 mypassword123 iloveyou12 iloveyou123 iloveyou1234
letmein123 letmein1234 welcome123 welcome1234 welcome2024 welcome2025 welcome2026 administrator
admin12345 admin123456 football12 football123 baseball123 basketball basketball1 princess123
sunshine12 sunshine123 superman123 starwars123 trustno1234 changeme123 whatever123 master1234
monkey1234 dragon1234 shadow1234 michael123 jennifer123 charlie123 computer12 computer123
internet123 abc1234567 abcd123456 abcdefg123 a123456789 aa12345678 q123456789 1234abcd1234
123456789abc 1234567890q 987654321a 11111111111 123123123123 123451234512345 1q2w3e4r
qwer1234qwer asdf1234asdf summer2024 summer2025 winter2024 winter2025 spring2025 autumn2025
ticketing1 ticketing123 tickets123 concert123 password!! passwordpassword
""".split())
RUNS = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
        "zyxwvutsrqponmlkjihgfedcba", "qwertyuiopasdfghjklzxcvbnm", "mnbvcxzlkjhgfdsapoiuytrewq",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a password that is too short, too long or too easy to guess (`weak_password`)."""
    if len(password) < MIN_PASSWORD:
        raise invalid("weak_password", f"Use a password of at least {MIN_PASSWORD} characters.", field="password")
    if len(password) > MAX_PASSWORD:
        raise invalid("invalid_password", "That password is too long.", field="password")
    lowered = password.lower()
    own = {email.lower(), email.lower().split("@")[0], name.lower(), name.lower().replace(" ", "")} - {""}
    if (lowered in COMMON or len(set(lowered)) < 5 or any(lowered in run for run in RUNS) or lowered in own
            or lowered.rstrip("0123456789!") in COMMON | own):
        raise invalid("weak_password", "That password is one of the first that guessers try: choose a less "
                      "common one (a few unrelated words work well).", field="password")
