"""Command line entry point."""

import argparse
import subprocess
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="myapp")
    parser.add_argument("command")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def run_command(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = run_command(args.command)
    print(result.stdout)
    return result.returncode
