# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

class ModuleDocFragment:
    # How the modules that change files read, lock and replace them (module_utils common.fileio, lock, links).
    DOCUMENTATION = r"""
options:
  lock_timeout:
    description:
      - Seconds to wait for the lock that another run of this collection holds on a file's folder (see the notes)
        before failing with a message that names the holder (its pid and command). V(0) tries once.
    type: int
    default: 30
notes:
  - "Locking: from reading a file to replacing it, the module holds an exclusive C(flock) on the folder that holds the
    file (its real path); every module of the collection that changes files takes the same lock, so runs that overlap
    wait for each other instead of losing edits. Nothing is created for it, and the kernel drops it when its holder
    exits (also when killed). Before replacing, the module checks that the file is still byte for byte what it read
    (a program that does not lock, such as an editor); if not, it writes nothing and asks to run again."
  - "Files: only a regular file is read or replaced; a directory, device, FIFO or socket is refused before it is
    read (it is opened non-blocking, so a FIFO never hangs), and so is a file bigger than 4 MiB (a deployment.toml
    or an environment file is a few kB). The same rules apply to the systemd unit's environment files."
  - "Symbolic links: the path is walked folder by folder through open descriptors, and the kernel follows no link:
    every link on the way to the file must belong to root, to the account that runs the module, or to the owner of
    the file it leads to (for a file to be created, the owner of its folder); a link planted by another account (for
    example MI's service account, which owns the MI home) is refused, so it can never make a run as root read or
    replace a file that account could not. A link to nothing is refused, also with C(create=true). Links made by
    root or by the file's owner keep working. The lock, the read, the temporary file, the backup and the rename all
    go through the descriptor of the folder that was walked, so a folder swapped for a link during the run makes
    the run fail or edit the real file, never a file elsewhere."
  - "Replacing: a temporary file in the same folder, fsynced, given the file's mode, owner and SELinux context, then
    renamed over it. A new file gets C(mode) when given, else 0666 minus the umask. A backup is written completely
    (as a temporary file, then renamed) before the file is replaced, or not at all. An immutable file (C(chattr +i))
    or a single-file bind mount cannot be replaced by a rename: the message says so and what to do."
"""
