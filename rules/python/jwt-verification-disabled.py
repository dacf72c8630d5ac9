import jwt
from jose import jwt as jose_jwt


def claims(token):
    # ruleid: jwt-verification-disabled
    return jwt.decode(token, options={"verify_signature": False})


def claims_legacy(token, key):
    # ruleid: jwt-verification-disabled
    return jwt.decode(token, key, verify=False)


def claims_none(token, key):
    # ruleid: jwt-verification-disabled
    return jwt.decode(token, key, algorithms=["HS256", "none"])


def claims_jose(token, key):
    # ruleid: jwt-verification-disabled
    return jose_jwt.decode(token, key, options={"verify_signature": False})


def claims_ok(token, key):
    # ok: jwt-verification-disabled
    return jwt.decode(token, key, algorithms=["HS256"])


def claims_exp(token, key):
    # ok: jwt-verification-disabled
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False})
