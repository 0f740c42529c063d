"""Path escapes, each one an attack on the path policy. `{root}`, `{outside}`, `{sibling}` are filled in."""

from __future__ import annotations

PATH_ATTACKS: dict[str, str] = {
    "dotdot_relative": "../outside/secret.txt",
    "dotdot_deep": "../../../../../../etc/passwd",
    "dotdot_after_subfolder": "sub/../../outside/secret.txt",
    "dotdot_dot_slash": "./../outside/secret.txt",
    "dotdot_many_dots": "sub/./../.././outside/secret.txt",
    "absolute_etc": "/etc/passwd",
    "absolute_double_slash": "//etc/passwd",
    "absolute_outside": "{outside}/secret.txt",
    "absolute_root_then_dotdot": "{root}/../outside/secret.txt",
    "absolute_proc_root": "/proc/self/root/etc/passwd",
    "sibling_prefix_absolute": "{sibling}/secret.txt",
    "sibling_prefix_relative": "../repo-evil/secret.txt",
    "symlinked_folder_out": "link_out/secret.txt",
    "symlinked_file_out": "link_file",
    "relative_symlink_out": "link_rel_out",
    "new_file_in_symlinked_folder": "link_out/new-file.txt",
    "dangling_symlink_out": "dangling_link",
    "symlink_chain_out": "chain_link/secret.txt",
    "symlink_to_parent": "link_parent/outside/secret.txt",
    "nul_byte": "hello.py\x00../../outside/secret.txt",
    "nul_byte_alone": "\x00",
    "tilde_home": "~/.bashrc",
    "tilde_user": "~root/.bashrc",
    "percent_encoded_dotdot": "%2e%2e/outside/secret.txt",
    "percent_encoded_slash": "..%2foutside%2fsecret.txt",
    "percent_encoded_upper": "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "file_uri_absolute": "file:///etc/passwd",
    "file_uri_localhost": "file://localhost/etc/passwd",
    "file_uri_dotdot": "file://{root}/../outside/secret.txt",
    "file_uri_encoded_dotdot": "file://{root}/%2e%2e/outside/secret.txt",
    "file_uri_other_host": "file://evil.example/etc/passwd",
    "http_url": "http://127.0.0.1/etc/passwd",
    "backslash_dotdot": "..\\outside\\secret.txt",
    "outside_folder_itself": "{outside}",
    "parent_of_root": "..",
}


def fill(template: str, *, root: str, outside: str, sibling: str) -> str:
    return template.replace("{root}", root).replace("{outside}", outside).replace("{sibling}", sibling)
