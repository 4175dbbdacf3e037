#!/usr/bin/env bash
# A throwaway HTTP cache server for the remote-cache tests: Debian's nginx with its WebDAV module
# (PUT, DELETE) serving a directory, on loopback, with its own prefix, config, logs and pid file
# under a directory of the caller's, so it needs no root and touches nothing of a system nginx.
#
#   ci/setup-nginx.sh [install]               idempotent apt install (ci/setup-deps.sh)
#   ci/setup-nginx.sh start DIR [HTTP [HTTPS]] writes DIR/, starts nginx; prints DIR/env
#   ci/setup-nginx.sh stop DIR                 stops it; does nothing when it is not running,
#                                              so it fits `trap '... stop "$dir"' EXIT`
#
# DIR/env holds NGINX_HTTP_URL, NGINX_HTTPS_URL (a certificate for localhost and 127.0.0.1,
# signed by a CA made here: NGINX_CA), NGINX_ROOT (the served directory: a test tampers with
# what the server holds there) and NGINX_ACCESS_LOG. Besides / (GET, HEAD, PUT, DELETE of
# NGINX_ROOT), /private/ is the same for requests with "Authorization: Bearer $NGINX_TOKEN"
# (401 for others), and two locations misbehave on purpose: /answers500/ answers 500 to
# everything, and /stalls/ serves NGINX_ROOT at one byte a second (nginx's limit_rate).
# Ports are free ones unless given.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH=$PATH:/usr/sbin:/sbin # nginx, for a user whose PATH lacks them

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_certificates() {
  local tls=$1
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=tmgt-test-ca -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
}

write_config() {
  local dir=$1 http=$2 https=$3 token=$4
  # Workers of a root master would run as nobody, who cannot write the caller's directory.
  local user_line=""
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$http;
        listen 127.0.0.1:$https ssl;
        server_name localhost;
        ssl_certificate $dir/tls/server.pem;
        ssl_certificate_key $dir/tls/server.key;
        root $dir/www;
        location / {
            dav_methods PUT DELETE;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }
        location /private/ {
            if (\$http_authorization != "Bearer $token") { return 401; }
            alias $dir/www/;
            dav_methods PUT DELETE;
            create_full_put_path on;
        }
        location /answers500/ { return 500; }
        location /stalls/ { alias $dir/www/; limit_rate 1; }
    }
}
EOF
}

start() {
  local dir http https
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  http=${2:-$(free_port)}
  https=${3:-$(free_port)}
  mkdir -p "$dir/www" "$dir/tmp"
  [[ -f $dir/tls/server.pem ]] || make_certificates "$dir/tls"
  [[ -s $dir/token ]] || openssl rand -hex 16 >"$dir/token"
  write_config "$dir" "$http" "$https" "$(cat "$dir/token")"
  nginx -p "$dir" -c "$dir/nginx.conf"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$http/" && break
    sleep 0.05
  done
  cat >"$dir/env" <<EOF
NGINX_HTTP_URL=http://127.0.0.1:$http
NGINX_HTTPS_URL=https://localhost:$https
NGINX_CA=$dir/tls/ca.pem
NGINX_ROOT=$dir/www
NGINX_ACCESS_LOG=$dir/access.log
NGINX_TOKEN=$(cat "$dir/token")
EOF
  cat "$dir/env"
}

stop() {
  local dir=$1 pid
  [[ -s $dir/nginx.pid ]] || return 0
  pid=$(cat "$dir/nginx.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  # The master removes its pid file as it exits (the process may linger as a zombie until init
  # reaps it, so kill -0 alone would wait for that too).
  for _ in $(seq 100); do
    [[ -e $dir/nginx.pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  echo "setup-nginx: nginx $pid did not stop" >&2
  return 1
}

case ${1:-install} in
  install) ci/setup-deps.sh nginx curl ;;
  start) start "${@:2}" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 [install | start DIR [HTTP_PORT [HTTPS_PORT]] | stop DIR]" >&2; exit 2 ;;
esac
