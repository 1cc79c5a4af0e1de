import paramiko

def run(command):
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    ssh.connect("10.0.0.5", username="root", password="Passw0rd!")
    return ssh.exec_command(command)
