import jinja2
from fastapi import FastAPI
from flask import Flask, render_template_string, request

app = Flask(__name__)
api = FastAPI()
env = jinja2.Environment(autoescape=True)


def greet():
    name = request.args.get("name", "")
    # ruleid: render-template-string-request
    return render_template_string(f"<h1>Hello {name}</h1>")


def bio():
    template = "<p>" + request.form["bio"] + "</p>"
    # ruleid: render-template-string-request
    return jinja2.Template(template).render()


@api.get("/preview")
def preview(snippet: str):
    # ruleid: render-template-string-request
    return env.from_string(snippet).render()


def greet_safely():
    # ok: render-template-string-request
    return render_template_string("<h1>Hello {{ name }}</h1>", name=request.args.get("name", ""))


def static_page(page):
    # ok: render-template-string-request
    return render_template_string(page)
