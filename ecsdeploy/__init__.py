"""Deploy ``cloudformation/template.yaml`` with CloudFormation change sets, and push the image.

``plan`` shows a change set and deletes it, ``deploy`` executes one and follows the stack's
events, ``destroy`` deletes the stack; the API key's SecureString (which CloudFormation cannot
create) is created by ``deploy`` and deleted by ``destroy``. ``python -m ecsdeploy --help``.
"""
