-- POST a customer to the seed's sandbox (`serve --sandbox`): every request
-- creates one. Used by scripts/bench-sandbox.sh.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"customer":{"first_name":"Juan","last_name":"Campos","email":"juan@email.com","phone":"+12036534789","notes":"New notes","address":"Calle 5","city":"Fort Worth","state":"TX","zip_code":"76106"}}'
