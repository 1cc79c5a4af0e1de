"""The shop's own check: `python check_shop.py` prints ok."""
import shop.users
from shop.admin import purge
from shop.orders import LABEL, order_owner, owner_again
from shop.users import fetch_user as lookup
from shop.users import greeting

assert lookup(1)["name"] == "user1"
assert order_owner({"user_id": 2}) == "user2"
assert owner_again({"user_id": 3}) == "user3"
assert shop.users.fetch_user(4)["id"] == 4
assert purge(5) == {"deleted": 5}
assert LABEL == "fetch_user"
assert greeting(6) == "Hello, user6"
print("ok")
