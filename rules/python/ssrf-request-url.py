import urllib.request

import httpx
import requests
from fastapi import FastAPI
from flask import request

api = FastAPI()


def preview():
    url = request.args["url"]
    # ruleid: ssrf-request-url
    return requests.get(url, timeout=5).text


@api.get("/fetch")
async def fetch(target: str):
    # ruleid: ssrf-request-url
    return httpx.get(target).json()


def webhook(request):
    # ruleid: ssrf-request-url
    urllib.request.urlopen(request.POST["callback"] + "/notify", timeout=5)


def avatar():
    # ok: ssrf-request-url
    return requests.get(f"https://avatars.example.com/{request.args['id']}", timeout=5).content


def user(request):
    # ok: ssrf-request-url
    return requests.get("https://api.example.com/users/" + request.GET["id"], timeout=5).json()


def fixed():
    # ok: ssrf-request-url
    return requests.get("https://api.example.com/status", timeout=5).json()
