token_type = "bearer_access_token"
PASSWORD_FIELD = "password"
password_prompt = "Enter your password: "
