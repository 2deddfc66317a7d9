#!/usr/bin/python3
"""A gRPC server with a generic handler, no generated code: /helloworld.Greeter/SayHello
answers OK, or INTERNAL when the request's bytes are b"fail". Over h2c.
   grpc_greeter.py serve PORT
   grpc_greeter.py call PORT OK_COUNT FAIL_COUNT   (one channel, so one connection)
With TRACEPARENT set, the first call carries it as metadata."""
import os
import sys
from concurrent import futures

import grpc

METHOD = "/helloworld.Greeter/SayHello"


def say_hello(request, context):
    if request == b"fail":
        context.abort(grpc.StatusCode.INTERNAL, "asked to fail")
    return b"hello " + request


def serve(port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handler = grpc.method_handlers_generic_handler(
        "helloworld.Greeter", {"SayHello": grpc.unary_unary_rpc_method_handler(say_hello)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    server.wait_for_termination()


def call(port, ok, failing):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        stub = channel.unary_unary(METHOD)
        tp = os.environ.get("TRACEPARENT")
        for i in range(ok):
            stub(b"world", timeout=10, metadata=(("traceparent", tp),) if tp and i == 0 else None)
        for _ in range(failing):
            try:
                stub(b"fail", timeout=10)
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INTERNAL, e.code()
            else:
                raise SystemExit("the failing call succeeded")


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        call(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
