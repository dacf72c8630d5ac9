import os
import shlex
import subprocess

from flask import request


def convert():
    name = request.args["file"]
    # ruleid: shell-command-from-request
    subprocess.run(f"convert {name} out.png", shell=True, check=True)


def ping(request):
    host = request.GET.get("host")
    # ruleid: shell-command-from-request
    os.system("ping -c 1 " + host)


def archive():
    # ruleid: shell-command-from-request
    return subprocess.check_output("tar czf out.tgz " + request.form["dir"], shell=True)


def convert_list():
    # ok: shell-command-from-request
    subprocess.run(["convert", request.args["file"], "out.png"], check=True)


def convert_quoted():
    # ok: shell-command-from-request
    subprocess.run("convert " + shlex.quote(request.args["file"]) + " out.png", shell=True, check=True)


def fixed():
    # ok: shell-command-from-request
    subprocess.run("make build", shell=True, check=True)
