"""Clients nobody on the project wrote, generated from the OpenAPI document a running node serves,
go through sign-in and the main flows against that node: openapi-python-client's parsed results,
and every real response checked by tsc against openapi-typescript's types (where Node is here).
A response the document does not describe (no body, an untyped object, a missing or extra
field) fails one or the other."""

import importlib
import json
import shutil
import subprocess
import sys
import urllib.request
import uuid

import pytest

from chat.tests.live import BIN, ROOT, WebNode

pytestmark = pytest.mark.django_db(transaction=True)

# openapi-typescript and tsc, pinned with every package they need by tests/typescript/package-lock.json;
# `npm ci` installs exactly that once into var/ (not committed), again when the lock file changes.
NPM_PROJECT = ROOT / "tests" / "typescript"
NPM_INSTALL = ROOT / "var" / "npm" / "generated-clients"
PIN = "2580"


@pytest.fixture
def node(server_environment):
    node = WebNode(server_environment, "generated-client-node")
    yield node
    node.stop()


@pytest.fixture
def document(node, tmp_path):
    path = tmp_path / "openapi.json"
    with urllib.request.urlopen(f"{node.http_url}/api/schema/?format=json", timeout=30) as response:
        path.write_bytes(response.read())
    return path


@pytest.fixture
def python_client(document, tmp_path):
    package = f"generated_messenger_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(document), "--meta", "none",
         "--output-path", str(tmp_path / package)],
        check=True, capture_output=True, text=True, env={"PATH": f"{BIN}:/usr/bin:/bin"},
    )  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    yield importlib.import_module(package)
    sys.path.remove(str(tmp_path))


class Recorder:
    """Calls the generated functions and keeps each real response, named by its operation."""

    def __init__(self, client_package):
        self.package = client_package
        self.responses = []  # (operationId, status, body)

    def __call__(self, tag, operation_id, client, expected_status, **kwargs):
        module = importlib.import_module(f"{self.package.__name__}.api.{tag}.{operation_id}")
        response = module.sync_detailed(client=client, **kwargs)
        assert response.status_code == expected_status, response.content
        self.responses.append((operation_id, int(response.status_code), json.loads(response.content)))
        assert response.parsed is not None, f"{operation_id}: the generated client could not read the body"
        return response.parsed


def test_a_generated_python_client_signs_in_and_runs_the_main_flows(node, document, python_client):
    generated = python_client
    models = importlib.import_module(f"{generated.__name__}.models")
    anonymous = generated.Client(base_url=node.http_url, raise_on_unexpected_status=True)
    call = Recorder(generated)
    tag = uuid.uuid4().hex[:8]

    def sign_up_and_in(name):
        email = f"{name}-{tag}@example.com"
        body = models.SignupInputRequest(email=email, username=f"{name}{tag}", password="correct-horse-battery-9")
        call("accounts", "signup_post", anonymous, 201, body=body)
        tokens = call(
            "accounts", "token_post", anonymous, 200, body=models.SignInRequest(email=email, password=body.password)
        )
        return tokens, generated.AuthenticatedClient(
            base_url=node.http_url, token=tokens.access, raise_on_unexpected_status=True
        )

    tokens, ada = sign_up_and_in("ada")
    _, bo = sign_up_and_in("bo")
    me = call("accounts", "me_get", ada, 200)
    assert me.username == f"ada{tag}"
    ada_id, bo_id = me.id, call("accounts", "me_get", bo, 200).id

    refreshed = call(
        "accounts", "token_refresh_post", anonymous, 200, body=models.TokenRefreshInputRequest(refresh=tokens.refresh)
    )
    assert refreshed.access and refreshed.refresh != tokens.refresh

    # Chat: a channel, a member, a message, history, my channels, search.
    channel = call(
        "channels", "channel_list_create_post", ada, 201, body=models.ChannelListCreateInputRequest(name=f"hike {tag}")
    )
    assert (
        call("channels", "channel_join_post", bo, 200, channel_id=channel.id, body=models.ChannelJoinInputRequest()).id
        == channel.id
    )
    call("channels", "channel_detail_get", bo, 200, channel_id=channel.id)
    call("channels", "channel_list_create_get", bo, 200, search=tag)
    assert {member.username for member in call("channels", "channel_members_get", ada, 200, channel_id=channel.id)} == {
        f"ada{tag}",
        f"bo{tag}",
    }
    message = call("chat", "channel_messages_post", ada, 201, channel_id=channel.id,
                   body=models.ChannelMessagesInputRequest(body="saturday at nine", client_msg_id="m-1"))  # fmt: skip
    call("chat", "message_reactions_post", bo, 200, channel_id=channel.id, message_id=message.id,
         body=models.MessageReactionsInputRequest(emoji="👍"))  # fmt: skip
    history = call("chat", "channel_messages_get", bo, 200, channel_id=channel.id)
    assert [(item.seq, item.body, item.sender.username) for item in history.results] == [
        (1, "saturday at nine", f"ada{tag}")
    ]
    # Search reads the store, which no worker fills here: only the shape of its answer is checked.
    call("chat", "channel_message_search_get", bo, 200, channel_id=channel.id, q="nine")
    assert [mine.unread_count for mine in call("chat", "channel_mine_get", bo, 200)] == [1]

    # Money: personal wallets, a top-up, a transfer, the ledger with its counterparty.
    ada_wallet = call(
        "wallets", "personal_wallet_open_post", ada, 201, body=models.PersonalWalletOpenInputRequest(pin=PIN)
    )
    bo_wallet = call(
        "wallets", "personal_wallet_open_post", bo, 201, body=models.PersonalWalletOpenInputRequest(pin=PIN)
    )
    assert call("wallets", "wallet_deposit_post", ada, 200, wallet_id=ada_wallet.id,
                body=models.WalletDepositInputRequest(amount=50_000)).balance == 50_000  # fmt: skip
    call("wallets", "transfer_create_post", ada, 201,
         body=models.TransferCreateInputRequest(from_wallet=ada_wallet.id, to_wallet=bo_wallet.id, amount=12_000, pin=PIN, memo="fuel"))  # fmt: skip
    entry = call("wallets", "wallet_transactions_get", bo, 200, wallet_id=bo_wallet.id).results[0]
    assert (entry.amount, entry.counterparty.wallet, entry.counterparty.owner.username) == (
        12_000,
        ada_wallet.id,
        f"ada{tag}",
    )
    call("wallets", "personal_wallet_get", bo, 200)
    assert len(call("wallets", "my_wallets_get", ada, 200)) == 1

    # A group wallet of the channel, dues, and paying them.
    group = call("wallets", "channel_group_wallets_post", ada, 201, channel_id=channel.id,
                 body=models.ChannelGroupWalletsInputRequest(name="hike fund"))  # fmt: skip
    call("wallets", "wallet_join_post", bo, 200, wallet_id=group.id)
    call("wallets", "channel_group_wallets_get", bo, 200, channel_id=channel.id)
    dues = call(
        "wallets",
        "wallet_dues_post",
        ada,
        201,
        wallet_id=group.id,
        body=models.WalletDuesInputRequest(title="bus", amount=5_000),
    )
    call("wallets", "dues_pay_post", bo, 201, dues_id=dues.id, body=models.DuesPayInputRequest(pin=PIN))
    paid = call("wallets", "dues_detail_get", ada, 200, dues_id=dues.id)
    assert {(member.user.username, member.paid) for member in paid.members} == {
        (f"ada{tag}", False),
        (f"bo{tag}", True),
    }
    assert call("wallets", "wallet_detail_get", bo, 200, wallet_id=group.id).balance == 5_000

    # Club life (v3): the notice, a poll, a split of a bill, and an approval policy with its window.
    call("chat", "channel_notice_post", ada, 200, channel_id=channel.id,
         body=models.ChannelNoticeInputRequest(message_id=message.id))  # fmt: skip
    poll = call("chat", "channel_polls_post", ada, 201, channel_id=channel.id,
                body=models.ChannelPollsInputRequest(question="where to?", options=["Bukhansan", "Dobongsan"]))  # fmt: skip
    call(
        "chat",
        "poll_vote_post",
        bo,
        200,
        poll_id=poll.id,
        body=models.PollVoteInputRequest(options=[poll.options[0].id]),
    )
    call("chat", "poll_get", ada, 200, poll_id=poll.id)
    assert [option.votes for option in call("chat", "poll_close_post", ada, 200, poll_id=poll.id).options] == [1, 0]
    bill = models.ChannelSplitsInputRequest(
        title="makgeolli", total=10_000, members=[ada_id, bo_id], to_wallet=ada_wallet.id
    )
    split = call("wallets", "channel_splits_post", ada, 201, channel_id=channel.id, body=bill)
    call("wallets", "split_pay_post", bo, 201, split_id=split.id, body=models.SplitPayInputRequest(pin=PIN))
    call("wallets", "split_detail_get", ada, 200, split_id=split.id)
    policy = models.WalletApprovalPolicyInputRequest(
        threshold=1_000, window=models.WindowEnum.DAY, approvers=[bo_id], required=1
    )
    call("wallets", "wallet_approval_policy_post", ada, 200, wallet_id=group.id, body=policy)
    assert call("wallets", "wallet_approval_policy_get", bo, 200, wallet_id=group.id).window == models.WindowEnum.DAY
    pending = call("wallets", "transfer_create_post", ada, 202,
                   body=models.TransferCreateInputRequest(from_wallet=group.id, to_wallet=ada_wallet.id, amount=2_000, pin=PIN))  # fmt: skip
    assert [approval.id for approval in call("wallets", "approval_list_get", bo, 200)] == [pending.id]
    call(
        "wallets",
        "approval_approve_post",
        bo,
        200,
        approval_id=pending.id,
        body=models.ApprovalDecisionInputRequest(pin=PIN),
    )
    assert call("wallets", "wallet_detail_get", ada, 200, wallet_id=group.id).balance == 3_000
    call("wallets", "wallet_members_get", bo, 200, wallet_id=group.id)
    call("wallets", "wallet_dues_overview_get", ada, 200, wallet_id=group.id)
    # A refusal is a body too: the treasurer topping up the group wallet is told the group wallet's rule.
    refused = call(
        "wallets", "wallet_deposit_post", ada, 403, wallet_id=group.id, body=models.WalletDepositInputRequest(amount=1)
    )
    assert refused.code == "forbidden" and "group wallet" in refused.detail

    _check_with_tsc(document, call.responses)


def _check_with_tsc(document, responses):
    """Each real response assigned, as a literal, to the type openapi-typescript generated for it;
    tsc refuses a missing field, an extra one, a wrong type, and any body where the type is `never`."""
    assert shutil.which("npm"), "Node and npm are not installed: bin/ensure-services installs them"
    work = document.parent
    tools = _npm_tools()
    subprocess.run(
        [str(tools / "openapi-typescript"), str(document), "-o", str(work / "schema.ts")],
        check=True,
        capture_output=True,
    )
    operations = {
        operation["operationId"]: (path, method)
        for path, methods in json.loads(document.read_text())["paths"].items()
        for method, operation in methods.items()
    }
    header = [
        'import type { paths } from "./schema";',
        "type Body<P extends keyof paths, M extends keyof paths[P], S extends number> =",
        '  paths[P][M] extends { responses: infer R } ? S extends keyof R ? R[S] extends { content: { "application/json": infer B } } ? B : never : never : never;',
    ]

    def tsc(name, checked_responses):
        lines = list(header)
        for index, (operation_id, status, body) in enumerate(checked_responses):
            path, method = operations[operation_id]
            literal = json.dumps(body, ensure_ascii=False)
            lines.append(
                f"export const r{index}: Body<{json.dumps(path)}, {json.dumps(method)}, {status}> = {literal};"
            )
        (work / name).write_text("\n".join(lines) + "\n")
        return subprocess.run(
            [str(tools / "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", str(work / name)],
            capture_output=True, text=True,
        )  # fmt: skip

    checked = tsc("responses.ts", responses)
    assert checked.returncode == 0, checked.stdout
    assert len(responses) >= 45
    # The check can fail: the sign-in answer without its access token is refused.
    operation_id, status, body = next(response for response in responses if response[0] == "token_post")
    broken = tsc("broken.ts", [(operation_id, status, {key: body[key] for key in body if key != "access"})])
    assert broken.returncode != 0 and "'access' is missing" in broken.stdout, broken.stdout


def _npm_tools():
    """node_modules/.bin of the locked packages, installed by `npm ci` when the lock file changed."""
    bin_dir = NPM_INSTALL / "node_modules" / ".bin"
    lock = (NPM_PROJECT / "package-lock.json").read_text()
    installed = NPM_INSTALL / "package-lock.json"
    if not (bin_dir / "tsc").exists() or not installed.exists() or installed.read_text() != lock:
        NPM_INSTALL.mkdir(parents=True, exist_ok=True)
        shutil.copy(NPM_PROJECT / "package.json", NPM_INSTALL)
        shutil.copy(NPM_PROJECT / "package-lock.json", NPM_INSTALL)
        # --ignore-scripts: neither package needs an install script, and none of theirs runs here.
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=NPM_INSTALL,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return bin_dir
