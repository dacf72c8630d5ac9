import base64
import json
import pickle

from fastapi import FastAPI, Request
from flask import request

api = FastAPI()


def restore():
    # ruleid: pickle-request-data
    return pickle.loads(request.get_data())


def restore_cookie(request):
    blob = base64.b64decode(request.COOKIES["state"])
    # ruleid: pickle-request-data
    return pickle.loads(blob)


@api.post("/state")
async def upload(req: Request):
    body = await req.body()
    # ruleid: pickle-request-data
    return pickle.loads(body)


def restore_json():
    # ok: pickle-request-data
    return json.loads(request.get_data())


def restore_local():
    with open("cache.pkl", "rb") as handle:
        # ok: pickle-request-data
        return pickle.load(handle)
