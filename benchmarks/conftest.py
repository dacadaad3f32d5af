# Same start as the tests: eventlet patches the standard library before anything
# imports sockets (nameko's pytest plugin is loaded here too).
import eventlet

eventlet.monkey_patch()
