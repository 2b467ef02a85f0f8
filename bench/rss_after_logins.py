#!/usr/bin/env python3
# RSS of a release confab after N registrations and N logins (argon2id each): the memory
# bound of the password hasher (issue 6 target: <= 150 MiB after 1,000 logins). Usage:
#   bench/rss_after_logins.py [N] [path/to/confab]   (a throwaway PostgreSQL and Redis; run as root)
import json, os, subprocess, sys, tempfile, time, urllib.request, concurrent.futures, socket, pwd

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
binary = sys.argv[2] if len(sys.argv) > 2 else "/work/main/target/release/confab"
pgbin = "/usr/lib/postgresql/15/bin"
d = tempfile.mkdtemp(prefix="rss-"); os.chmod(d, 0o777)
pgdata = os.path.join(d, "pg"); pgport = free_port()
pw = pwd.getpwnam("postgres")
def as_pg(): os.setgid(pw.pw_gid); os.setuid(pw.pw_uid)
subprocess.run([f"{pgbin}/initdb", "-D", pgdata, "-U", "postgres", "--auth=trust"], preexec_fn=as_pg, check=True, stdout=subprocess.DEVNULL)
pg = subprocess.Popen([f"{pgbin}/postgres", "-D", pgdata, "-p", str(pgport), "-k", d, "-c", "listen_addresses=127.0.0.1"], preexec_fn=as_pg, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
rport = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
def wait_for(what, ready, seconds=30):
    deadline = time.time() + seconds
    while not ready():
        if time.time() > deadline: sys.exit(f"{what} did not come up")
        time.sleep(0.05)
wait_for("PostgreSQL", lambda: subprocess.run([f"{pgbin}/pg_isready", "-h", "127.0.0.1", "-p", str(pgport)], stdout=subprocess.DEVNULL).returncode == 0)
wait_for("Redis", lambda: subprocess.run(["redis-cli", "-p", str(rport), "ping"], capture_output=True).stdout.strip() == b"PONG")
port = free_port()
env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{pgport}/postgres", REDIS_URL=f"redis://127.0.0.1:{rport}", PORT=str(port), METRICS_ADDR="", RUST_LOG="warn")
srv = subprocess.Popen([binary], env=env)
def rss(): 
    for line in open(f"/proc/{srv.pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) / 1024
base = f"http://127.0.0.1:{port}"
def healthy():
    try: return urllib.request.urlopen(base + "/api/health").status == 200
    except Exception: return False
wait_for("confab", healthy)
print(f"RSS at start: {rss():.1f} MiB")
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req).status
t = time.time()
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda i: post("/api/auth/register", {"username": f"user{i}", "password": "correct horse battery", "display_name": f"u{i}"}), range(N)))
print(f"{N} registrations in {time.time()-t:.1f} s; RSS {rss():.1f} MiB")
t = time.time()
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda i: post("/api/auth/login", {"username": f"user{i}", "password": "correct horse battery"}), range(N)))
print(f"{N} logins in {time.time()-t:.1f} s; RSS {rss():.1f} MiB")
for p in (srv, redis, pg):
    p.terminate(); p.wait()
