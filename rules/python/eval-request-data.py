import ast

from flask import request


def calc():
    expr = request.args["expr"]
    # ruleid: eval-request-data
    return str(eval(expr))


def run(request):
    # ruleid: eval-request-data
    exec(request.POST["code"])


def literal():
    # ok: eval-request-data
    return ast.literal_eval(request.args["value"])


def constant():
    # ok: eval-request-data
    return eval("1 + 1")
