"""paramiko: an SSH server and client over a socket pair: key exchange, auth, a channel."""
# dists: paramiko, invoke, bcrypt, pynacl, cryptography
import io
import socket
import threading

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

pem = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
host_key = paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))
print("host key:", host_key.get_name(), host_key.fingerprint)


class Server(paramiko.ServerInterface):
    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL if password == "pw" else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel, command):
        channel.sendall(b"ran: " + command)
        channel.send_exit_status(0)
        channel.shutdown_write()
        return True


a, b = socket.socketpair()
server = paramiko.Transport(a)
server.add_server_key(host_key)
threading.Thread(target=server.start_server, kwargs={"server": Server()}, daemon=True).start()
client = paramiko.Transport(b)
client.connect(hostkey=host_key, username="u", password="pw")
print("authenticated:", client.is_authenticated(), client.remote_version.startswith("SSH-2.0"))
ch = client.open_session()
ch.exec_command("uptime")
print(ch.makefile().read(), ch.recv_exit_status())
client.close()
server.close()
m = paramiko.Message()
m.add_string("x")
m.add_int(7)
print(m.asbytes().hex())
