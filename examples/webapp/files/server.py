"""webapp: a tiny WSGI app on Python's standard library.

python3 server.py            serve DATA/index.html on the configured port
python3 server.py --render   render DATA/index.html from the configuration
"""
import html
import os
import sys
from wsgiref.simple_server import make_server

CONF = "/etc/webapp/app.conf"
DATA = "/var/lib/webapp"
PAGE = os.path.join(DATA, "index.html")


def read_conf(path=CONF):
    conf = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "=" in line:
                key, value = line.split("=", 1)
                conf[key.strip()] = value.strip()
    return conf


def render(conf):
    title = html.escape(conf.get("title", "webapp"))
    greeting = html.escape(conf.get("greeting", ""))
    tmp = PAGE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"<h1>{title}</h1>\n<p>{greeting}</p>\n")
    os.replace(tmp, PAGE)


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/health":
        body = b"ok\n"
    else:
        with open(PAGE, "rb") as f:
            body = f.read()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]


def main():
    conf = read_conf()
    if sys.argv[1:] == ["--render"]:
        render(conf)
        print("rendered", PAGE)
        return
    port = int(conf.get("port", "8000"))
    with make_server("", port, app) as httpd:
        print(f"webapp on port {port}", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
