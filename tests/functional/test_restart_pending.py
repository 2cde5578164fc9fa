"""Apply now, restart later: the instances module run for real against an MI stand-in running as a local process
(real /proc, real sockets, real file times). A run that writes the file asks for a restart; a later run whose
file is already converged still does, because the running JVM has not applied it; once MI restarted, none."""

import time

from helpers.standin_process import StandIn, offset_for_free_ports, write_home


def test_a_restart_stays_pending_until_the_jvm_runs_with_the_file(tmp_path, module_runner):
    old, new = offset_for_free_ports(), offset_for_free_ports()
    home = write_home(tmp_path / 'mi', '[server]\nhostname = "localhost"\noffset = %d\n' % old)
    args = {'instances': [{'name': 'mi', 'home': str(home), 'offset': new}]}
    with StandIn(home):
        converged_before = module_runner('instances', {'instances': [{'name': 'mi', 'home': str(home)}]})
        (before,) = converged_before['instances']
        assert (before['running'], before['restart_needed'], before['changed']) == (True, False, False)

        time.sleep(1)  # the file changes after MI started
        applied = module_runner('instances', args)
        (first,) = applied['instances']
        assert (first['changed'], first['restart_needed'], first['moved']['http']) == (
            True, True, [8280 + old, 8280 + new])

        later = module_runner('instances', args)
        (pending,) = later['instances']
        assert (pending['changed'], pending['restart_needed']) == (False, True)
        assert pending['plan'].endswith('restart needed (the running MI has not applied the file yet)')
        assert pending['moved'] == {}

    with StandIn(home):  # MI restarted: it listens on the ports of the file
        (after,) = module_runner('instances', args)['instances']
        assert (after['changed'], after['restart_needed']) == (False, False), after['plan']
