import os
import shutil

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from flask import Flask, request, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()


def download():
    name = request.args["name"]
    # ruleid: path-from-request
    return send_file("/srv/files/" + name)


def read_upload():
    # ruleid: path-from-request
    with open(os.path.join("/srv/uploads", request.form["file"])) as handle:
        return handle.read()


@api.get("/reports/{name}")
async def report(name: str):
    # ruleid: path-from-request
    return FileResponse(f"reports/{name}")


def wipe(request):
    # ruleid: path-from-request
    shutil.rmtree("/tmp/jobs/" + request.GET["job"])


def safe_download():
    # ok: path-from-request
    return send_file("/srv/files/" + secure_filename(request.args["name"]))


def safe_dir():
    # ok: path-from-request
    return send_from_directory("/srv/files", request.args["name"])


def fixed():
    # ok: path-from-request
    with open("config.toml") as handle:
        return handle.read()


@api.get("/events/{item_id}")
def delete_event(item_id: UUID4):
    event = load_event(item_id)
    # ok: path-from-request
    shutil.rmtree(event.image_dir)


@api.get("/download")
async def download_token(file_path: str = Depends(validate_file_token)):
    # ok: path-from-request
    return FileResponse(file_path)


@app.route("/raw/<path:name>")
def raw(name):
    # ruleid: path-from-request
    return send_file(os.path.join("/srv/raw", name))
