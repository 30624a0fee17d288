# tests/integration/fakesrc.py SOCKET IMAGE_ID TAR CUT -- a fake engine on a unix
# socket for test_jobs.sh: it "builds" any task as IMAGE_ID, and answers
# GET /images/{id}/get with the first CUT bytes of TAR (docker save of that
# image) under a Content-Length of the whole, then drops the connection: a
# transfer cut mid-stream. Nothing else of the API.
import sys, os, socketserver, http.server, json
sock, image_id, tarpath, cut = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def address_string(self): return "fake"
    def log_message(self, *a): pass
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                self.rfile.read(n); self.rfile.readline()
                if n == 0: break
        elif self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
    def send(self, code, obj):
        b = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        p = self.path.split("?")[0]
        if p.endswith("/version"): return self.send(200, {"ApiVersion": "1.41", "MinAPIVersion": "1.12"})
        if p.endswith("/get"):
            self.send_response(200); self.send_header("Content-Type", "application/x-tar")
            self.send_header("Content-Length", str(os.path.getsize(tarpath))); self.end_headers()
            with open(tarpath, "rb") as f: self.wfile.write(f.read(cut))
            self.wfile.flush(); self.connection.shutdown(2); self.close_connection = True; return
        if p.endswith("/json"): return self.send(200, {"Id": image_id, "Config": {"User": ""}})
        self.send(404, {"message": "no such thing"})
    def do_POST(self):
        self.body()
        if "/build" in self.path:
            msgs = [{"stream": "Step 1/1 : FROM scratch\n"}, {"aux": {"ID": image_id}},
                    {"stream": "Successfully built %s\n" % image_id[7:19]}]
            return self.send(200, b"".join(json.dumps(m).encode() + b"\r\n" for m in msgs))
        self.send(404, {"message": "no such thing"})
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
if os.path.exists(sock): os.unlink(sock)
S(sock, H).serve_forever()
