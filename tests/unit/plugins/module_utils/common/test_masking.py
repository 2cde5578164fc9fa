"""What stays visible when environment and JVM arguments are no_log: ports, offsets, flags, existing paths."""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.masking import keep_ports_visible


def test_masking_keeps_ports_offsets_flags_and_existing_paths_visible(tmp_path):
    class Module(object):
        no_log_values = set(['8380', '3', 'true', '-DportOffset=5', 's3cr3t-pass', '123456', '-Ddb.password=x',
                             str(tmp_path), '/no/such/path-s3cr3t'])
    module = Module()
    keep_ports_visible(module)
    assert module.no_log_values == set(['s3cr3t-pass', '123456', '-Ddb.password=x', '/no/such/path-s3cr3t'])
